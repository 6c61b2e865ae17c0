"use client";

import Link from "next/link";
import { useEffect } from "react";
import { findDemoBoard, TECHNIQUE_DEMO, type Technique } from "../../lib/demo/plan";
import { ArchitectureDiagram } from "../_components/architecture-diagram";
import { BrandMark } from "../_components/brand-mark";
import { UserMenu } from "../_components/user-menu";
import { useClientState, useSync } from "../sync-provider";

const TECHNIQUE_TEXT: { technique: Technique; name: string; line: string }[] = [
  { technique: "occ", name: "Versions and optimistic concurrency", line: "Every write names the version it read; the database refuses a stale one and you choose in a three-way dialog." },
  { technique: "resolution", name: "Conflict resolution", line: "Per board: occ asks you, lww keeps the newest hybrid-clock edit, mvr keeps concurrent values as siblings." },
  { technique: "moves", name: "Distributed transactions", line: "Moving a card between boards on shards a and b is one two-phase commit, with a coordinator log and recovery." },
  { technique: "locks", name: "Distributed locking", line: "An expiring lease makes a card yours; its fencing token lets the database refuse a stale holder." },
  { technique: "replication", name: "Replication", line: "Each tab is a replica with a durable outbox; a gap-free change log lets it catch up exactly and replay once." },
];

/** The landing page: what Concord is, its architecture, and the five techniques with their demo boards. */
export default function AboutPage() {
  const { session, client } = useSync();
  const state = useClientState();
  const online = state?.connection === "online";
  useEffect(() => {
    if (client && online) client.refreshBoards().catch(() => {});
  }, [client, online]);

  function linkFor(technique: Technique) {
    const board = state ? findDemoBoard(state.boardList, TECHNIQUE_DEMO[technique], state.user?.id) : undefined;
    if (board) return { href: `/b/${encodeURIComponent(board.id)}`, label: "Open its demo" };
    return { href: "/", label: session ? "Try the demos" : "Sign in to try it" };
  }

  return (
    <>
      <header className="topbar">
        <BrandMark />
        <span className="topbar-spacer" />
        <div className="topbar-group">{session ? <UserMenu /> : null}</div>
      </header>
      <main className="page about" data-testid="about">
        <h1 className="page-title">Concord keeps shared cards consistent, and shows you how</h1>
        <p className="page-subtitle">
          A card board you can edit from many tabs, networks and servers at once. Each technique below runs for real, is visible in the UI,
          and is attacked by the tests.
        </p>
        <div className="about-grid">
          <ArchitectureDiagram />
          <ol className="about-techniques">
            {TECHNIQUE_TEXT.map((t) => {
              const link = linkFor(t.technique);
              return (
                <li key={t.technique} data-testid={`technique-${t.technique}`}>
                  <strong>{t.name}</strong>
                  <span>{t.line}</span>
                  <Link href={link.href}>{link.label} →</Link>
                </li>
              );
            })}
          </ol>
        </div>
      </main>
    </>
  );
}
