/** A small element builder: the page's only "framework". */
type Attrs = Record<string, string | boolean | number | undefined | null>;
type Child = Node | string | null | undefined | false;

/** Creates an element: attributes (`class`, `for`, `aria-*`, booleans as presence), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
}

/** Replaces all of an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled text input: `<label for>` and `<input id>`, so the label names the field. */
export function field(id: string, label: string, attrs: Attrs = {}): { wrap: HTMLDivElement; input: HTMLInputElement } {
  const input = h("input", { id, name: id, type: "text", ...attrs });
  return { wrap: h("div", { class: "field" }, h("label", { for: id }, label), input), input };
}

/** The bar at the top of every view: the name, then whatever the view adds (who you are, Sign out). */
export function topBar(...children: Child[]): HTMLElement {
  return h("header", { class: "bar" }, h("h1", {}, h("span", { class: "logo", "aria-hidden": "true" }), "Axon"), h("div", { class: "account" }, ...children));
}
