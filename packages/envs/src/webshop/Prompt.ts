/**
 * The instruction prompt an agent gets for WebShop, in the spirit of the ETO
 * paper's Figure 7 (kept short: the task's pages are long already).
 */

export const INSTRUCTION_PROMPT = `You are shopping on a web store, following a customer's instruction. Each turn you see the current page as text, its parts separated by [SEP], and you answer with one action.

There are two kinds of action:
- search[keywords]: type keywords into the search box (only where a search box is offered).
- click[value]: click something shown on the page: a product id, an option value, or a button such as "Next >", "< Prev", "Back to Search", "Description" or "Buy Now".

An action that is not possible on the current page does nothing and the page stays as it was. Choose your search keywords with care: the store ranks products by how well they match the words. Pick the options the instruction asks for on the product page before you buy, and make sure the price is within the limit. You have at most 10 actions per task, and buying ends the task.

Answer every turn in exactly this form:
Thought: I think ...
Action: click[something]`
