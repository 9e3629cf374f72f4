import type { AgentTool } from './agent-tool';
import { createFileTool } from './create-file';
import { editFileTool } from './edit-file';
import { findFilesTool } from './find-files';
import { gitDiffTool } from './git-diff';
import { grepTool } from './grep';
import { listDirTool } from './list-dir';
import { readFileTool } from './read-file';
import { runCommandTool } from './run-command';

export {
  defineAgentTool,
  functionToolDefinition,
  ToolFailure,
  type AgentTool,
  type AgentToolSpec,
  type CommandAuthorization,
  type ToolContext,
} from './agent-tool';
export { runToolCall, type ToolCallRequest } from './tool-call';
export {
  createFileTool,
  editFileTool,
  findFilesTool,
  gitDiffTool,
  grepTool,
  listDirTool,
  readFileTool,
  runCommandTool,
};

/** The coding agent's tools on top of the sandbox, in the order the model is shown them. */
export const agentTools: readonly AgentTool[] = [
  readFileTool,
  listDirTool,
  findFilesTool,
  grepTool,
  editFileTool,
  createFileTool,
  runCommandTool,
  gitDiffTool,
];
