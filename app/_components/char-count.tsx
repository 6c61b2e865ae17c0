/** "n / max" under a text field (SPEC INPUT-4: limits are shown, not enforced by cutting). */
export function CharCount({ id, length, max }: { id: string; length: number; max: number }) {
  const over = length > max;
  return (
    <span id={id} className={over ? "char-count over" : "char-count"} data-testid={id}>
      {length.toLocaleString("en")} / {max.toLocaleString("en")}
      <span className="visually-hidden"> characters</span>
    </span>
  );
}
