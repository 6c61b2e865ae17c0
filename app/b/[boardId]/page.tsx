"use client";

import { useParams } from "next/navigation";
import { BoardScreen } from "../../_components/board-screen";
import { Loading } from "../../_components/loading";
import { SignInForm } from "../../_components/sign-in-form";
import { useClientState, useSync } from "../../sync-provider";

export default function BoardPage() {
  const params = useParams<{ boardId: string }>();
  const boardId = decodeURIComponent(params.boardId);
  const { ready, session, client, signedOutNote } = useSync();
  const state = useClientState();
  if (!ready) return <Loading />;
  if (!session) return <SignInForm note={signedOutNote ?? "Sign in to open this board."} />;
  if (!client || !state) return <Loading label="Connecting…" />;
  return <BoardScreen client={client} state={state} boardId={boardId} />;
}
