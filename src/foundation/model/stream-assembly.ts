import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { AssistantMessage, ToolCall } from "./model-result.ts";

export interface AssembledStream {
  message: AssistantMessage;
  finishReason: string | null;
  /** From the final usage chunk (stream_options.include_usage), when the server sent one. */
  usage: ChatCompletionChunk["usage"] | null;
}

/**
 * Rebuilds one assistant message from SSE chunks. Tool calls are keyed by their `index`: the
 * first delta carries id and name, later deltas append argument fragments verbatim.
 */
export class StreamAssembler {
  private content: string[] = [];
  private reasoning: string[] = [];
  private sawContent = false;
  private readonly calls = new Map<number, { id: string; name: string; args: string[] }>();
  private finishReason: string | null = null;
  private usage: ChatCompletionChunk["usage"] | null = null;

  add(chunk: ChatCompletionChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return;
    const delta = choice.delta as { reasoning_content?: unknown; reasoning?: unknown };
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === "string") this.reasoning.push(reasoning);
    if (typeof choice.delta.content === "string") {
      this.sawContent = true;
      this.content.push(choice.delta.content);
    }
    for (const delta of choice.delta.tool_calls ?? []) {
      let call = this.calls.get(delta.index);
      if (!call) {
        call = { id: "", name: "", args: [] };
        this.calls.set(delta.index, call);
      }
      if (delta.id) call.id = delta.id;
      // vLLM sends the name whole in the first delta; some servers repeat it, so keep the first.
      if (delta.function?.name && !call.name) call.name = delta.function.name;
      if (delta.function?.arguments) call.args.push(delta.function.arguments);
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  result(): AssembledStream {
    const toolCalls: ToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ id: call.id, name: call.name, arguments: call.args.join("") }));
    const text = this.content.join("");
    // A stream of tool calls only often carries an empty role chunk: report that as no content.
    const content = this.sawContent && (text !== "" || toolCalls.length === 0) ? text : null;
    const reasoningContent = this.reasoning.length > 0 ? this.reasoning.join("") : null;
    return { message: { content, toolCalls, reasoningContent }, finishReason: this.finishReason, usage: this.usage };
  }
}
