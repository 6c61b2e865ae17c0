"use client";

import Link from "next/link";
import { BoardList } from "./_components/board-list";
import { BrandMark } from "./_components/brand-mark";
import { ConnectionBadge } from "./_components/connection-badge";
import { Loading } from "./_components/loading";
import { SignInForm } from "./_components/sign-in-form";
import { Toasts } from "./_components/toasts";
import { UserMenu } from "./_components/user-menu";
import { useClientState, useSync } from "./sync-provider";

export default function HomePage() {
  const { ready, session, client, signedOutNote } = useSync();
  const state = useClientState();
  if (!ready) return <Loading />;
  if (!session) return <SignInForm note={signedOutNote ?? undefined} />;
  return (
    <>
      <header className="topbar">
        <BrandMark />
        <span className="topbar-spacer" />
        <div className="topbar-group">
          <Link className="btn btn-ghost btn-sm" href="/about">
            About
          </Link>
          {state ? <ConnectionBadge state={state.connection} catchingUp={state.catchingUp} /> : null}
          <UserMenu offerAccount />
        </div>
      </header>
      <main className="page">
        <h1 className="page-title">Your boards</h1>
        <p className="page-subtitle">Open a board in two tabs and edit the same card to watch its policy at work.</p>
        {client && state ? <BoardList client={client} state={state} /> : <Loading />}
      </main>
      {state ? <Toasts notices={state.notices} boardId={null} onDismiss={client ? (n) => client.dismissNotice(n.id) : undefined} /> : null}
    </>
  );
}
