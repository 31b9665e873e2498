/**
 * `eto serve --checkpoint DIR`: serves a checkpoint over the OpenAI API
 * (serve/Server.ts) until interrupted. Prints the API root on stdout and one
 * line per engine call on stderr.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput } from "@eto/core"
import { Engines } from "@eto/policy"
import { eprintln, Io, println } from "../Io"
import { SERVE_DEFAULTS, startServer } from "../serve/Server"

const positive = (flag: string, v: number) =>
  Number.isInteger(v) && v > 0 ? Effect.void : Effect.fail(new InvalidInput({ reason: `--${flag} must be a positive integer (got ${v})` }))

export const serveCommand = Command.make(
  "serve",
  {
    checkpoint: Flag.String("checkpoint").pipe(Flag.withMetavar("dir"), Flag.withDescription("Checkpoint directory to serve")),
    host: Flag.String("host").pipe(Flag.withDefault(SERVE_DEFAULTS.host), Flag.withDescription(`Address to bind (default ${SERVE_DEFAULTS.host}, this machine only)`)),
    port: Flag.Int("port").pipe(Flag.withDefault(SERVE_DEFAULTS.port), Flag.withDescription(`Port (default ${SERVE_DEFAULTS.port}; 0: any free port)`)),
    modelName: Flag.String("model-name").pipe(Flag.optional, Flag.withDescription("Model name clients ask for (default: the checkpoint directory's name)")),
    apiKey: Flag.String("api-key").pipe(
      Flag.optional,
      Flag.withDescription("Require this key (Authorization: Bearer KEY); default $ETO_SERVE_API_KEY, else none")
    ),
    engine: Flag.Literals("engine", Engines.EngineKind.literals).pipe(Flag.withDefault("auto" as const), Flag.withDescription("Compute engine (default auto)")),
    maxBody: Flag.Int("max-body").pipe(Flag.withDefault(SERVE_DEFAULTS.maxBodyBytes), Flag.withDescription(`Largest request body in bytes (413 above; default ${SERVE_DEFAULTS.maxBodyBytes})`)),
    timeout: Flag.Int("timeout").pipe(Flag.withDefault(SERVE_DEFAULTS.requestTimeoutMs / 1000), Flag.withDescription(`Seconds a request may take (408 after; default ${SERVE_DEFAULTS.requestTimeoutMs / 1000})`)),
    batchWindow: Flag.Int("batch-window").pipe(
      Flag.withDefault(SERVE_DEFAULTS.batchWindowMs),
      Flag.withDescription(`Milliseconds the first request of a batch waits for others (default ${SERVE_DEFAULTS.batchWindowMs})`)
    ),
    maxBatch: Flag.Int("max-batch").pipe(Flag.withDefault(SERVE_DEFAULTS.maxBatch), Flag.withDescription(`Most sequences per engine call (default ${SERVE_DEFAULTS.maxBatch})`))
  },
  (f) =>
    Effect.gen(function*() {
      const io = yield* Io
      if (!(Number.isInteger(f.port) && f.port >= 0 && f.port < 65536)) {
        return yield* new InvalidInput({ reason: `--port must be between 0 and 65535 (got ${f.port})` })
      }
      yield* positive("max-body", f.maxBody)
      yield* positive("timeout", f.timeout)
      yield* positive("max-batch", f.maxBatch)
      if (!(Number.isInteger(f.batchWindow) && f.batchWindow >= 0)) {
        return yield* new InvalidInput({ reason: `--batch-window must be at least 0 (got ${f.batchWindow})` })
      }
      const apiKey = Option.getOrUndefined(f.apiKey) ?? (process.env.ETO_SERVE_API_KEY || undefined)
      let calls = 0
      const server = yield* startServer({
        checkpoint: f.checkpoint,
        host: f.host,
        port: f.port,
        modelName: Option.getOrUndefined(f.modelName),
        apiKey,
        engine: f.engine,
        maxBodyBytes: f.maxBody,
        requestTimeoutMs: f.timeout * 1000,
        batchWindowMs: f.batchWindow,
        maxBatch: f.maxBatch,
        onBatch: (b) =>
          io.writeErr(`engine call ${++calls}: ${b.requests} request${b.requests === 1 ? "" : "s"}, ${b.sequences} sequences, ${b.completionTokens} tokens in ${b.seconds.toFixed(2)} s\n`)
      })
      yield* println(`serving ${server.model} at ${server.url}${apiKey === undefined ? "" : " (key required)"}`)
      yield* eprintln("press Ctrl-C to stop")
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription("Serve a checkpoint over the OpenAI API (/v1/models, /v1/chat/completions, /v1/completions)"),
  Command.withExamples([
    { command: "eto serve --checkpoint runs/sft --port 8000", description: "Serve on http://127.0.0.1:8000/v1" }
  ])
)
