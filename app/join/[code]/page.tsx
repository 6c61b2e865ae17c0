"use client";

import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Loading } from "../../_components/loading";
import { SignInForm } from "../../_components/sign-in-form";
import { errorMessage } from "../../_lib/format";
import { boardPath } from "../../_lib/links";
import { useClientState, useSync } from "../../sync-provider";

/**
 * `/join/:code`, an invite link (SPEC ACCESS-3): whoever opens it signs in (as a guest or to an
 * account) if they are not yet, then the code is accepted and the board opens.
 */
export default function JoinPage() {
  const params = useParams<{ code: string }>();
  const code = decodeURIComponent(params.code);
  const router = useRouter();
  const { ready, session, client } = useSync();
  const state = useClientState();
  const [error, setError] = useState<string | null>(null);
  const tried = useRef(false);
  const online = state?.connection === "online";

  useEffect(() => {
    if (!client || !online || tried.current) return;
    tried.current = true;
    client.accept(code).then(
      (board) => router.replace(boardPath(board.id)),
      (err: unknown) => setError(errorMessage(err)),
    );
  }, [client, online, code, router]);

  if (!ready) return <Loading />;
  if (!session) return <SignInForm note="You were invited to a board. Sign in, or continue as a guest, to open it." />;
  if (!error) return <Loading label="Joining the board…" />;
  return (
    <main className="signin-wrap">
      <div className="panel signin-card" role="alert" data-testid="join-error">
        <h1>This invite did not work</h1>
        <p className="lede">{error.replace(/^NOT_FOUND: /, "")}. Ask the board&apos;s owner for a new invite link.</p>
        <Link className="btn btn-primary" href="/">
          Back to boards
        </Link>
      </div>
    </main>
  );
}
