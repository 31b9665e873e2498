/**
 * The instruction prompt an agent gets for WebShop, in the spirit of the ETO
 * paper's Figure 7, followed by one worked example played on the catalogue.
 */

export const PROMPT_HEAD = `You are shopping on a web store, following a customer's instruction. Each turn you see the current page as text, its parts separated by [SEP], and you answer with one action.

There are two kinds of action:
- search[keywords]: type keywords into the search box (only where a search box is offered).
- click[value]: click something shown on the page: a product id, an option value, or a button such as "Next >", "< Prev", "Back to Search", "Description" or "Buy Now".

An action that is not possible on the current page does nothing and the page stays as it was. Choose your search keywords with care: the store ranks products by how well they match the words. Pick the options the instruction asks for on the product page before you buy, and make sure the price is within the limit. You have at most 10 actions per task, and buying ends the task.

Answer every turn in exactly this form:
Thought: I think ...
Action: click[something]`

export interface ExampleTurn {
  readonly thought: string
  readonly action: string
  readonly observation: string
}

/** The prompt with a worked example (initial page, then thought/action/observation turns). */
export const buildPrompt = (example?: { initial: string; turns: ReadonlyArray<ExampleTurn> }): string => {
  if (example === undefined) return PROMPT_HEAD
  const lines = [PROMPT_HEAD, "", "Here is an example.", "", example.initial]
  for (const t of example.turns) {
    lines.push(`Thought: ${t.thought}`, `Action: ${t.action}`)
    if (t.observation !== "") lines.push(`Observation:\n${t.observation}`)
  }
  return lines.join("\n")
}

/** The example: a mirror in a given size (goal `B082KBN23S:2` of the catalogue). */
export const EXAMPLE_GOAL_ID = "B082KBN23S:2"
export const EXAMPLE_SCRIPT: ReadonlyArray<readonly [thought: string, action: string]> = [
  ["I think I should look for a wall mounted decorative mirror in the 60x60cm size.", "search[wall mounted decorative mirror for living room 60x60cm]"],
  ["I think B082KBN23S is a decorative wall mirror for the living room, and at $100.0 it is under the limit.", "click[B082KBN23S]"],
  ["I think I should pick the 60x60cm size the instruction asks for.", "click[60x60cm | 23.62x23.62in]"],
  ["I think everything matches now, so I will buy it.", "click[Buy Now]"]
]
