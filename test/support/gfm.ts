import { micromark } from 'micromark'
import { gfm, gfmHtml } from 'micromark-extension-gfm'

/**
 * Markdown rendered as GitHub renders it (GFM, as cmark-gfm parses it), with raw HTML and every link protocol
 * let through: what survives here would be live unless GitHub's own sanitiser caught it, so assertions on this
 * HTML do not lean on that sanitiser.
 */
export function renderGfm(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, allowDangerousProtocol: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] })
}

/** Text of the HTML with tags removed and the common entities decoded: what a reader sees. */
export function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u200d/g, '')
}

/** Mentions GitHub would link and notify: an @ right after a non-word character, followed by a name, outside code and links. */
export function liveMentions(html: string): string[] {
  const text = html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, '').replace(/<a [^>]*>[\s\S]*?<\/a>/g, '').replace(/<[^>]*>/g, ' ')
  return [...text.matchAll(/(?:^|[^A-Za-z0-9_`])@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9][A-Za-z0-9-]*)?)/g)].map((m) => m[1]!)
}

/** Elements and attributes that would act: any tag we did not write, and link or image targets by scheme. */
export function hrefs(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))
}

let mermaidReady: Promise<typeof import('mermaid').default> | undefined

/**
 * Mermaid's own parser (the one GitHub's renderer runs), loaded in Node on a jsdom window: parses a diagram
 * and returns its node ids, or throws Mermaid's syntax error.
 */
export async function parseMermaidFlowchart(text: string): Promise<{ vertices: string[]; edges: number; subgraphs: number }> {
  mermaidReady ??= (async () => {
    // jsdom ships no type declarations; only its window is used.
    const jsdom = 'jsdom'
    const { JSDOM } = (await import(jsdom)) as { JSDOM: new (html: string) => { window: { document: unknown } } }
    const dom = new JSDOM('<!doctype html><html><body></body></html>')
    const g = globalThis as unknown as Record<string, unknown>
    g.window = dom.window
    g.document = dom.window.document
    const mermaid = (await import('mermaid')).default
    await mermaid.parse('flowchart LR\n  a --> b\n')
    return mermaid
  })()
  const mermaid = await mermaidReady
  await mermaid.parse(text)
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text)
  const db = diagram.db as unknown as { getVertices(): Map<string, unknown>; getEdges(): unknown[]; getSubGraphs(): unknown[] }
  return { vertices: [...db.getVertices().keys()], edges: db.getEdges().length, subgraphs: db.getSubGraphs().length }
}
