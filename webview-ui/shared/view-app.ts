import { render, type TemplateResult } from 'lit';

/**
 * A webview app that draws one view the host sends: it asks for it with `ready` when it starts and redraws on each
 * `show`; a failed request is shown as the error. Subclasses only say how the view is drawn (lit templates, so
 * every string from the workspace is bound as text).
 */
/** How an app gets its view: the host's `show` notifications, and the answer to its `ready` request. */
export interface ViewSource<V> {
  onShow(handler: (view: V) => void): void;
  ready(): Promise<V>;
}

export abstract class ViewApp<V> {
  protected view: V | undefined;
  protected error = '';

  constructor(
    protected readonly root: HTMLElement,
    private readonly source: ViewSource<V>,
  ) {}

  async start(): Promise<void> {
    this.source.onShow((v) => {
      this.view = v;
      this.draw();
    });
    this.draw();
    try {
      this.view = await this.source.ready();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.draw();
  }

  protected draw(): void {
    render(this.template(), this.root);
  }

  protected abstract template(): TemplateResult;
}
