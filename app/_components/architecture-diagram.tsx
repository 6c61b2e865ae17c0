/** Tabs → nodes → databases, drawn in SVG (the README's Architecture section in one picture). */
export function ArchitectureDiagram() {
  const tabs = ["Tab 1 · replica", "Tab 2 · replica", "Tab 3 · replica"];
  const nodes = ["Node 1", "Node 2"];
  const dbs = [
    { name: "Catalog", sub: "users, boards, leases, tx log" },
    { name: "Shard a", sub: "cards, change log" },
    { name: "Shard b", sub: "cards, change log" },
  ];
  const col = (i: number, n: number, w: number) => 100 + ((640 - n * w) / (n + 1)) * (i + 1) + w * i;
  return (
    <svg className="arch" viewBox="0 0 760 360" role="img" aria-labelledby="arch-title arch-desc" data-testid="architecture-diagram">
      <title id="arch-title">Concord's architecture</title>
      <desc id="arch-desc">
        Browser tabs, each a replica with an outbox, talk over Socket.IO to stateless server nodes; the nodes share broadcasts through
        Postgres LISTEN/NOTIFY and write to a catalog database and two shard databases, a and b.
      </desc>
      <defs>
        <marker id="arch-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0 0 L10 5 L0 10 z" fill="#5a6270" />
        </marker>
      </defs>
      <text x="12" y="52" className="arch-layer">browser</text>
      <text x="12" y="182" className="arch-layer">server</text>
      <text x="12" y="312" className="arch-layer">Postgres</text>
      {tabs.map((t, i) => {
        const x = col(i, tabs.length, 170);
        return (
          <g key={t}>
            <rect x={x} y="22" width="170" height="56" rx="8" className="arch-tab" />
            <text x={x + 85} y="45" textAnchor="middle" className="arch-name">{t}</text>
            <text x={x + 85} y="64" textAnchor="middle" className="arch-sub">outbox · HLC · cursor</text>
            {/* Each tab talks to one node (tabs 1 and 2 to node 1, tab 3 to node 2). */}
            <line x1={x + 85} y1="80" x2={col(i < 2 ? 0 : 1, nodes.length, 180) + 90} y2="150" className="arch-link" markerEnd="url(#arch-arrow)" markerStart="url(#arch-arrow)" />
          </g>
        );
      })}
      <text x="420" y="118" textAnchor="middle" className="arch-sub arch-note">Socket.IO: requests, acks, seq-ordered changes</text>
      {nodes.map((n, j) => {
        const x = col(j, nodes.length, 180);
        return (
          <g key={n}>
            <rect x={x} y="152" width="180" height="58" rx="8" className="arch-node" />
            <text x={x + 90} y="176" textAnchor="middle" className="arch-name">{n} (stateless)</text>
            <text x={x + 90} y="195" textAnchor="middle" className="arch-sub">validate → service → ack</text>
            {dbs.map((_, k) => (
              <line key={k} x1={x + 90} y1="212" x2={col(k, dbs.length, 190) + 95} y2="280" className="arch-link" markerEnd="url(#arch-arrow)" />
            ))}
          </g>
        );
      })}
      <line x1={col(0, 2, 180) + 182} y1="181" x2={col(1, 2, 180) - 2} y2="181" className="arch-link arch-dashed" markerEnd="url(#arch-arrow)" markerStart="url(#arch-arrow)" />
      <text x="420" y="172" textAnchor="middle" className="arch-sub arch-note">broadcasts</text>
      <text x="420" y="200" textAnchor="middle" className="arch-sub arch-note">LISTEN/NOTIFY</text>
      {dbs.map((d, k) => {
        const x = col(k, dbs.length, 190);
        return (
          <g key={d.name}>
            <rect x={x} y="282" width="190" height="56" rx="8" className="arch-db" />
            <text x={x + 95} y="305" textAnchor="middle" className="arch-name">{d.name}</text>
            <text x={x + 95} y="324" textAnchor="middle" className="arch-sub">{d.sub}</text>
          </g>
        );
      })}
    </svg>
  );
}
