import { createHash } from 'node:crypto';
import { ModelError, type ModelMessage, type ModelResponse } from '../../chat/model';
import { AccessLevel, type DiffRefs, type FileDiff } from '../../forge/forge';
import type { Flow, FlowContext, FlowResult } from '../flow';
import { FlowError, IDEMPOTENT } from '../flow';
import { noteOnce } from '../publish';
import { findingBody, type Placement, placeFindings, summaryBody } from './review-comments';
import { buildReviewContext } from './review-context';
import { ReviewSubmission, reviewMessages, SUBMIT_REVIEW, submitReviewTool } from './review-prompt';

/** Attempts at a well-formed `submit_review` call before the flow gives up. */
const SUBMIT_ATTEMPTS = 3;
/** Reads of a merge request that keeps changing before the flow gives up. */
const VERSION_ATTEMPTS = 3;

/**
 * Code Review: reads a merge request's latest diff version and the code around it through the
 * API, asks the model for findings as structured output, and posts them as inline discussions
 * at exact diff positions plus one summary note.
 */
export const codeReviewFlow: Flow = {
  id: 'code_review',
  name: 'Code Review',
  referenceKind: 'merge_request',
  requiredAccess: AccessLevel.reporter,
  requiredAccessName: 'Reporter',
  recommendWhen: 'the person wants a full code review of a merge request',
  run: runCodeReview,
};

async function runCodeReview(ctx: FlowContext): Promise<FlowResult> {
  const { projectPath, id: iid } = ctx.reference;
  const { mr, refs, diffs } = await ctx.step(
    'fetch_merge_request',
    async () => {
      const [mr, version] = await Promise.all([
        ctx.forge.getMergeRequest(projectPath, iid),
        consistentVersion(ctx),
      ]);
      ctx.event(
        'api_call',
        `Fetched !${iid} "${mr.title}": ${version.diffs.length} changed files`,
        {
          headSha: version.refs.headSha,
          files: version.diffs.map((d) => d.newPath),
        },
      );
      return { mr, ...version };
    },
    IDEMPOTENT,
  );

  const context = await ctx.step(
    'read_files',
    async () => {
      const built = await buildReviewContext(
        diffs,
        (path) => ctx.forge.getFileRaw(projectPath, path, refs.headSha),
        ctx.config.review,
      );
      ctx.event(
        'context',
        `Reviewing ${built.files.length} files, skipping ${built.skipped.length}`,
        {
          characters: built.text.length,
          skipped: built.skipped,
        },
      );
      return built;
    },
    IDEMPOTENT,
  );

  if (context.files.length === 0) {
    const url = await ctx.step(
      'post_summary',
      () =>
        summaryOnce(
          ctx,
          mr,
          summaryBody(
            'Nothing here could be reviewed.',
            { inline: [], elsewhere: [] },
            context.skipped,
          ),
        ),
      IDEMPOTENT,
    );
    return {
      summary: `Nothing in ${ctx.reference.label} could be reviewed; a note says why.`,
      links: [mrLink(mr.webUrl, iid), { label: 'Summary note', url }],
    };
  }

  // The review is the model's reading: asking again posts nothing.
  const review = await ctx.step(
    'review',
    () => askForReview(ctx, reviewMessages(mr, context.text)),
    IDEMPOTENT,
  );
  // Posting is safe to run again after an interruption: what is on GitLab already (found by
  // its marker) is not posted twice.
  const placement = await ctx.step(
    'post_comments',
    () => postInline(ctx, placeFindings(review.findings, context.files, refs)),
    IDEMPOTENT,
  );
  const posted = placement.inline.length;
  const url = await ctx.step(
    'post_summary',
    () => summaryOnce(ctx, mr, summaryBody(review.summary, placement, context.skipped)),
    IDEMPOTENT,
  );
  const total = review.findings.length;
  return {
    summary:
      `Reviewed ${context.files.length} file${context.files.length === 1 ? '' : 's'} of ${ctx.reference.label}: ` +
      `${total} finding${total === 1 ? '' : 's'}, ${posted} posted inline, and a summary note` +
      (context.skipped.length ? `; ${context.skipped.length} skipped` : '') +
      '.',
    links: [mrLink(mr.webUrl, iid), { label: 'Summary note', url }],
  };
}

/**
 * Diff refs and diffs come from two calls; a push between them would pair one version's shas
 * with another's lines, and GitLab would reject or misplace the comments. Reads the refs again
 * after the diffs and retries until both agree.
 */
async function consistentVersion(ctx: FlowContext): Promise<{ refs: DiffRefs; diffs: FileDiff[] }> {
  const { projectPath, id: iid } = ctx.reference;
  for (let attempt = 1; ; attempt++) {
    const refs = await ctx.forge.getDiffRefs(projectPath, iid);
    const diffs = await ctx.forge.getMergeRequestDiffs(projectPath, iid);
    const after = await ctx.forge.getDiffRefs(projectPath, iid);
    if (after.headSha === refs.headSha && after.startSha === refs.startSha) return { refs, diffs };
    if (attempt === VERSION_ATTEMPTS) {
      throw new FlowError(
        `${ctx.reference.label} kept changing while it was read (new pushes); run the review again.`,
      );
    }
    ctx.event(
      'version_changed',
      `A push changed ${ctx.reference.label} while reading; reading again`,
    );
  }
}

/**
 * Posts each placed finding; one GitLab refuses (a position it will not take) moves into the
 * summary note instead of ending the review with half its comments posted.
 */
/**
 * Posts the inline findings; a comment GitLab refuses moves to the summary. Answers where each
 * finding ended up. Each comment carries a hidden marker of the session and the finding, so a
 * run after an interruption skips the ones posted before it.
 */
async function postInline(ctx: FlowContext, placement: Placement): Promise<Placement> {
  const { projectPath, id: iid } = ctx.reference;
  const outcome: Placement = { inline: [], elsewhere: [...placement.elsewhere] };
  const earlier = (await ctx.forge.getMergeRequestNotes(projectPath, iid)).map((n) => n.body);
  for (const [index, placed] of placement.inline.entries()) {
    ctx.signal.throwIfAborted();
    const { finding, position } = placed;
    const where = `${position.newPath}:${position.newLine ?? position.oldLine}`;
    const marker = reviewMarker(ctx, `comment ${index + 1}`, placed);
    if (earlier.some((body) => body.includes(marker))) {
      outcome.inline.push(placed);
      ctx.event('comment_posted', `${finding.severity} on ${where}: posted before, kept`, {
        position,
      });
      continue;
    }
    try {
      const note = await ctx.forge.createDiffDiscussion(
        projectPath,
        iid,
        `${findingBody(finding)}\n\n${marker}`,
        position,
      );
      outcome.inline.push(placed);
      ctx.event('comment_posted', `${finding.severity} on ${where}`, { url: note.url, position });
    } catch (error) {
      if ((error as Error).name !== 'ForgeError') throw error;
      outcome.elsewhere.push(finding);
      ctx.event(
        'comment_refused',
        `GitLab refused the comment on ${where}: ${(error as Error).message}`,
      );
    }
  }
  return outcome;
}

/**
 * A hidden line naming the session, what a comment is and a digest of its content, to find it
 * again on GitLab: a review asked again (after a restore) with other findings posts them.
 */
function reviewMarker(ctx: FlowContext, what: string, content: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
  return `<!-- tandem code review ${ctx.sessionId}: ${what} ${digest} -->`;
}

/** Posts the summary note unless an earlier run of the session did; answers its address. */
function summaryOnce(
  ctx: FlowContext,
  mr: { iid: number; webUrl: string },
  body: string,
): Promise<string> {
  const marker = reviewMarker(ctx, 'summary', body);
  return noteOnce(ctx, mr, { body: `${body}\n\n${marker}`, marker });
}

async function askForReview(ctx: FlowContext, messages: ModelMessage[]): Promise<ReviewSubmission> {
  const conversation = [...messages];
  for (let attempt = 1; attempt <= SUBMIT_ATTEMPTS; attempt++) {
    ctx.signal.throwIfAborted();
    const response = await callModel(ctx, conversation);
    const call = response.toolCalls.find((c) => c.name === SUBMIT_REVIEW);
    const problem = call ? parseSubmission(call.arguments) : `You did not call ${SUBMIT_REVIEW}.`;
    if (typeof problem !== 'string') {
      ctx.event('review_received', `${problem.findings.length} findings`, {
        summary: problem.summary,
      });
      return problem;
    }
    ctx.event('model_output_invalid', `Attempt ${attempt}: ${problem}`);
    conversation.push(
      call
        ? {
            role: 'assistant',
            content: response.text || null,
            tool_calls: [
              {
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: call.arguments },
              },
            ],
          }
        : { role: 'assistant', content: response.text || '' },
    );
    const fix = `That was not a valid review: ${problem} Call ${SUBMIT_REVIEW} again with valid arguments.`;
    conversation.push(
      call ? { role: 'tool', tool_call_id: call.id, content: fix } : { role: 'user', content: fix },
    );
  }
  throw new FlowError(
    `The model did not return a well-formed review after ${SUBMIT_ATTEMPTS} attempts; ` +
      'try again, or use a model that supports tool calls (tandem.model.name).',
  );
}

async function callModel(ctx: FlowContext, messages: ModelMessage[]): Promise<ModelResponse> {
  try {
    const response = await ctx.model.complete({
      messages,
      tools: [submitReviewTool],
      toolChoice: { name: SUBMIT_REVIEW },
      signal: ctx.signal,
      onRetry: ({ attempt, delayMs, reason }) =>
        ctx.event('model_retry', `Retry ${attempt} in ${delayMs} ms: ${reason}`),
    });
    ctx.modelUsage(response.usage);
    ctx.event(
      'model_call',
      `Model answered (${response.usage.promptTokens}+${response.usage.completionTokens} tokens)`,
      {
        finishReason: response.finishReason,
      },
    );
    return response;
  } catch (error) {
    if (error instanceof ModelError) throw new FlowError(error.message);
    throw error;
  }
}

function parseSubmission(text: string): ReviewSubmission | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'its arguments were not valid JSON.';
  }
  const parsed = ReviewSubmission.safeParse(json);
  if (!parsed.success) {
    return `its arguments did not match the schema (${parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'root'}: ${i.message}`)
      .join('; ')}).`;
  }
  return parsed.data;
}

function mrLink(url: string, iid: number) {
  return { label: `Merge request !${iid}`, url };
}
