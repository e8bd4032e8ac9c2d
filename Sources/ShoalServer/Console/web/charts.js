// Small SVG line charts for the metrics page: no library, just polylines over the 15-minute window.
const SVG = 'http://www.w3.org/2000/svg';

function node(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * A chart of series [{label, points: [[epochSeconds, value]]}] between `from` and `to` seconds.
 * `format` writes a value for the axis and the text alternative.
 */
export function lineChart(title, series, { from, to, format = (v) => String(v) }) {
  const width = 320, height = 130, left = 50, bottom = 16, top = 8;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const x = (t) => left + ((t - from) / Math.max(1, to - from)) * (width - left - 4);
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const latest = series.map((s) => `${s.label} ${s.points.length ? format(s.points[s.points.length - 1][1]) : 'none'}`).join(', ');
  const svg = node('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: latest ${latest}; peak ${format(max)}` });
  svg.append(node('title', {}, `${title}: latest ${latest}`));
  svg.append(node('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
  svg.append(node('line', { class: 'axis', x1: left, y1: top, x2: left, y2: height - bottom }));
  svg.append(node('text', { x: 2, y: top + 8 }, format(max)));
  svg.append(node('text', { x: 2, y: height - bottom }, format(0)));
  svg.append(node('text', { x: left, y: height - 2 }, '15 min ago'));
  svg.append(node('text', { x: width - 22, y: height - 2 }, 'now'));
  series.forEach((s, index) => {
    if (!s.points.length) return;
    const points = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(node('polyline', { class: `line${index + 1}`, fill: 'none', 'stroke-width': 2, points, 'vector-effect': 'non-scaling-stroke' }));
  });
  const figure = document.createElement('figure');
  figure.className = 'chart card';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, index) => {
    const item = document.createElement('span');
    item.className = `l${index + 1}`;
    item.textContent = `${s.label} `;
    legend.append(item);
  });
  figure.append(caption, svg, legend);
  return figure;
}
