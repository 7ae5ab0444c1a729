import { Scroll } from '../ui.tsx';

/**
 * A small line chart in SVG: one line per series over time, each with its own marker shape and
 * dash (so nothing is told by colour alone), a labelled y axis, and the figures as a table beside
 * it for screen readers and for reading exact values.
 */
export interface Series {
  name: string;
  points: { at: string; value: number | null }[];
}

const STYLES = [
  { stroke: '#0550ae', dash: '', marker: 'circle' },
  { stroke: '#a40e26', dash: '6 3', marker: 'square' },
  { stroke: '#116329', dash: '2 3', marker: 'triangle' },
  { stroke: '#7d4e00', dash: '10 4', marker: 'diamond' },
] as const;

const W = 360;
const H = 180;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

const marker = (kind: string, x: number, y: number, color: string) => {
  if (kind === 'circle') return <circle cx={x} cy={y} r={3.5} fill={color} />;
  if (kind === 'square') return <rect x={x - 3.5} y={y - 3.5} width={7} height={7} fill={color} />;
  if (kind === 'triangle')
    return <polygon points={`${x},${y - 4.5} ${x + 4},${y + 3} ${x - 4},${y + 3}`} fill={color} />;
  return <polygon points={`${x},${y - 4.5} ${x + 4.5},${y} ${x},${y + 4.5} ${x - 4.5},${y}`} fill={color} />;
};

const fmt = (x: number | null) =>
  x === null ? '–' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4);

export const LineChart = ({
  title,
  series,
  threshold,
}: {
  title: string;
  series: Series[];
  threshold?: { value: number; label: string };
}) => {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.at)))].sort();
  const values = series.flatMap((s) => s.points.flatMap((p) => (p.value === null ? [] : [p.value])));
  const max = Math.max(...values, threshold?.value ?? 0, 1e-6) * 1.1;
  const x = (at: string) =>
    times.length <= 1
      ? PAD.left + (W - PAD.left - PAD.right) / 2
      : PAD.left + (times.indexOf(at) / (times.length - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const ticks = [0, max / 2, max];
  const id = title.replace(/[^A-Za-z0-9_-]/g, '-');
  return (
    <figure class="chart">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title`}>
        <title id={`${id}-title`}>
          {title}: {series.map((s) => `${s.name} ${s.points.map((p) => fmt(p.value)).join(', ')}`).join('; ')}
        </title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#d0d7de" />
            <text x={PAD.left - 4} y={y(t) + 4} text-anchor="end" font-size="10" fill="#57606a">
              {t.toFixed(2)}
            </text>
          </g>
        ))}
        {threshold ? (
          <g>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(threshold.value)}
              y2={y(threshold.value)}
              stroke="#a40e26"
              stroke-dasharray="3 3"
            />
            <text
              x={W - PAD.right}
              y={y(threshold.value) - 3}
              text-anchor="end"
              font-size="10"
              fill="#a40e26"
            >
              {threshold.label}
            </text>
          </g>
        ) : null}
        {series.map((s, i) => {
          const style = STYLES[i % STYLES.length]!;
          const pts = s.points.filter((p) => p.value !== null) as { at: string; value: number }[];
          return (
            <g key={s.name}>
              <polyline
                fill="none"
                stroke={style.stroke}
                stroke-width="2"
                stroke-dasharray={style.dash || undefined}
                points={pts.map((p) => `${x(p.at)},${y(p.value)}`).join(' ')}
              />
              {pts.map((p) => (
                <g key={p.at}>{marker(style.marker, x(p.at), y(p.value), style.stroke)}</g>
              ))}
            </g>
          );
        })}
        <text x={PAD.left} y={H - 8} font-size="10" fill="#57606a">
          {times[0]?.slice(0, 16).replace('T', ' ')}
        </text>
        <text x={W - PAD.right} y={H - 8} font-size="10" fill="#57606a" text-anchor="end">
          {times.length > 1 ? times[times.length - 1]!.slice(0, 16).replace('T', ' ') : ''}
        </text>
      </svg>
      <ul class="legend">
        {series.map((s, i) => {
          const style = STYLES[i % STYLES.length]!;
          return (
            <li key={s.name}>
              <svg width="22" height="10" aria-hidden="true">
                <line
                  x1="0"
                  x2="22"
                  y1="5"
                  y2="5"
                  stroke={style.stroke}
                  stroke-width="2"
                  stroke-dasharray={style.dash || undefined}
                />
                {marker(style.marker, 11, 5, style.stroke)}
              </svg>{' '}
              {s.name}
            </li>
          );
        })}
      </ul>
      <details>
        <summary>Figures</summary>
        <Scroll>
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                {series.map((s) => (
                  <th key={s.name} scope="col">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((at) => (
                <tr key={at}>
                  <th scope="row">{at.slice(0, 19).replace('T', ' ')} UTC</th>
                  {series.map((s) => (
                    <td key={s.name}>{fmt(s.points.find((p) => p.at === at)?.value ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      </details>
    </figure>
  );
};
