// `npm run demo`: the real server (dist/tandem.js lsp --stdio), driven the way an editor drives
// it, with a recorded model. First a chat hands off to Code Review against a GitLab stand-in;
// then, with no GitLab at all, a chat hands off to Fix Pipeline on a failing CI job of the
// workspace, which runs in a dev container. Nothing leaves 127.0.0.1.
import { codeReviewDemo } from './code-review-demo/run';
import { say } from './demo-output';
import { fixPipelineDemo } from './fix-pipeline-demo/run';

async function main(): Promise<void> {
  await codeReviewDemo();
  say();
  say('─'.repeat(78));
  say();
  await fixPipelineDemo();
}

main().catch((error) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
