import type { ComponentChildren } from 'preact';
import { Scroll } from '../ui.tsx';

/**
 * The console's record tables: one scroll box, a caption for screen readers, a heading per column
 * and the rows the page gives. The pages differ only in their columns and cells.
 */
export const RecordTable = ({
  name,
  caption,
  columns,
  children,
}: {
  /** The table's class (its column widths in app.css), if it has one. */
  name?: string;
  caption: string;
  columns: readonly string[];
  children: ComponentChildren;
}) => (
  <Scroll>
    <table class={name}>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </Scroll>
);

/**
 * A cell's small labels (where a version serves, its metrics, its tags), or `empty` when there
 * are none.
 */
export const Chips = ({
  items,
  empty = '–',
}: {
  items: readonly (readonly [key: string, label: ComponentChildren])[];
  empty?: string;
}) =>
  items.length === 0
    ? empty
    : items.map(([key, label]) => (
        <span key={key} class="chip">
          {label}
        </span>
      ));
