import MarkdownIt from 'markdown-it';

/**
 * Markdown for model output, rendered safely: raw HTML is escaped (never interpreted), links
 * are kept only for http(s) and mailto, and images are not loaded (the model cannot make the
 * page fetch anything). The result is HTML made only of markdown-it's own tags.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });

const SAFE_LINK = /^(https?:|mailto:)/i;
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

md.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const alt = md.utils.escapeHtml(token.content || String(token.attrGet('alt') ?? '') || 'image');
  return `<span class="md-image">[${alt}]</span>`;
};

const renderLink = md.renderer.rules.link_open;
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet('rel', 'noopener noreferrer');
  tokens[index].attrSet('target', '_blank');
  return renderLink
    ? renderLink(tokens, index, options, env, self)
    : self.renderToken(tokens, index, options);
};

export function renderMarkdown(text: string): string {
  return md.render(text);
}

/** One line of inline markdown (a title): `code`, emphasis, links; no blocks. */
export function renderInlineMarkdown(text: string): string {
  return md.renderInline(text);
}
