/**
 * A deterministic stand-in for a tokenizer: the request is rendered like a ChatML template
 * (tools first, then each message, then the generation prompt) and every 4 UTF-8 bytes count as
 * one token. Appending messages only extends the rendering, so prefix-cache hits are visible.
 */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === "object" && part !== null && "text" in part ? String(part.text) : "")).join("");
  }
  return "";
}

export function renderPrompt(messages: Array<Record<string, unknown>>, tools: unknown[] | undefined): string {
  let out = "";
  if (tools && tools.length > 0) {
    out += `<|im_start|>tools\n${tools.map((tool) => JSON.stringify(tool)).join("\n")}<|im_end|>\n`;
  }
  for (const message of messages) {
    const calls = message.tool_calls ? `\n${JSON.stringify(message.tool_calls)}` : "";
    out += `<|im_start|>${String(message.role)}\n${messageText(message.content)}${calls}<|im_end|>\n`;
  }
  return out + "<|im_start|>assistant\n";
}

export function countTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

/** Tokens of the longest common prefix of two renderings (whole tokens only, as KV blocks would be). */
export function commonPrefixTokens(a: string, b: string): number {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  const limit = Math.min(left.length, right.length);
  let same = 0;
  while (same < limit && left[same] === right[same]) same += 1;
  return Math.floor(same / 4);
}
