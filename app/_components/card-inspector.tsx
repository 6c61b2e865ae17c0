import { FIELD_NAMES, type Card, type Policy } from "../../lib/protocol";
import { formatValue } from "../_lib/format";

/** The selected card's sync metadata: version, per-field versions and the policy's clocks. */
export function CardInspector({ card, policy, nameOf }: { card: Card | undefined; policy: Policy; nameOf: (id: string) => string }) {
  if (!card) return <p className="insp-empty">Open a card to see its versions and clocks.</p>;
  const clock = Object.entries(card.clock ?? {});
  const siblings = Object.entries(card.siblings ?? {}).filter(([, s]) => (s?.length ?? 0) > 0);
  return (
    <div data-testid="inspector-card">
      <dl className="kv">
        <dt>card</dt>
        <dd>{card.id}</dd>
        <dt>version</dt>
        <dd data-testid="inspector-card-version">{card.version}</dd>
        <dt>updated by</dt>
        <dd>{nameOf(card.updatedBy)}</dd>
      </dl>
      <h4 className="small muted" style={{ margin: "10px 0 4px" }}>
        Field versions{policy === "lww" ? " · HLC" : ""}
      </h4>
      <dl className="kv">
        {FIELD_NAMES.map((f) => (
          <div key={f} style={{ display: "contents" }}>
            <dt>{f}</dt>
            <dd>
              v{card.fieldVersions?.[f] ?? 0}
              {policy === "lww" && card.hlc?.[f] ? <span className="muted"> · {card.hlc[f]}</span> : null}
            </dd>
          </div>
        ))}
      </dl>
      {policy === "mvr" ? (
        <>
          <h4 className="small muted" style={{ margin: "10px 0 4px" }}>
            Vector clock
          </h4>
          {clock.length ? (
            <dl className="kv">
              {clock.map(([replica, n]) => (
                <div key={replica} style={{ display: "contents" }}>
                  <dt>{replica}</dt>
                  <dd>{n}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="insp-empty">empty</p>
          )}
          <h4 className="small muted" style={{ margin: "10px 0 4px" }}>
            Siblings
          </h4>
          {siblings.length ? (
            <ul className="insp-list">
              {siblings.flatMap(([field, list]) =>
                (list ?? []).map((s, i) => (
                  <li key={`${field}-${i}`} style={{ flexDirection: "column", gap: 2 }}>
                    <span>
                      <span className="mono">{field}</span> {formatValue(s.value)} <span className="muted">by {s.byName ?? nameOf(s.by)}</span>
                    </span>
                    <span className="mono muted">{JSON.stringify(s.clock)}</span>
                  </li>
                )),
              )}
            </ul>
          ) : (
            <p className="insp-empty">none: every field has one value</p>
          )}
        </>
      ) : null}
    </div>
  );
}
