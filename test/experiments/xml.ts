// A small well-formedness check for the SVG files the experiments write: every element is
// closed in order, attributes are quoted, and the root is one <svg> element.

/** Throws an Error describing the first problem; returns the number of elements otherwise. */
export function checkWellFormedSvg(text: string): number {
  const body = text.replace(/<\?xml[^?]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').trim();
  if (!body.startsWith('<svg')) throw new Error(`the document does not start with <svg: ${body.slice(0, 40)}`);
  if (!body.endsWith('</svg>')) throw new Error('the document does not end with </svg>');
  const stack: string[] = [];
  let elements = 0;
  let rootsClosed = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let pos = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const between = body.slice(pos, m.index);
    if (between.includes('<')) throw new Error(`malformed markup near: ${between.slice(between.indexOf('<'), between.indexOf('<') + 60)}`);
    pos = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}>`);
      if (stack.length === 0) rootsClosed++;
    } else {
      elements++;
      if (!selfClosing) stack.push(name);
      else if (stack.length === 0) rootsClosed++;
    }
  }
  if (body.slice(pos).includes('<')) throw new Error('malformed markup at the end');
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  if (rootsClosed !== 1) throw new Error(`expected one root element, found ${rootsClosed}`);
  return elements;
}
