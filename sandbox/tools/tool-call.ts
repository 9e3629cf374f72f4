import type { AgentTool, ToolContext } from './agent-tool';

/** A tool call as the model sent it: a name and its arguments as raw JSON text. */
export interface ToolCallRequest {
  name: string;
  arguments: string;
}

/**
 * Runs one tool call of the model, answering unknown tools and malformed JSON with text the model
 * can act on, like every other mistake of its own.
 */
export async function runToolCall(
  tools: readonly AgentTool[],
  call: ToolCallRequest,
  context: ToolContext,
): Promise<string> {
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) {
    const names = tools.map((candidate) => candidate.name).join(', ');
    return `Error: there is no tool named ${call.name}. Available tools: ${names}.`;
  }
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (error) {
    return (
      `Error: the arguments of ${call.name} are not valid JSON (${(error as Error).message}). ` +
      'Send one JSON object with the parameters the tool describes.'
    );
  }
  return tool.execute(args, context);
}
