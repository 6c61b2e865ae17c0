"use client";

import Link from "next/link";
import { Loading } from "../_components/loading";
import { SignInForm } from "../_components/sign-in-form";
import { useSync } from "../sync-provider";

/** `/account`: a guest makes an account and keeps their boards (SPEC ACCOUNT-4); nobody signed in makes a new one. */
export default function AccountPage() {
  const { ready, session } = useSync();
  if (!ready) return <Loading />;
  if (!session) return <SignInForm initialMode="signup" />;
  if (!session.account) return <SignInForm claim />;
  return (
    <main className="signin-wrap">
      <div className="panel signin-card">
        <h1>Your account</h1>
        <p className="lede">
          You are signed in as <strong>{session.user.name}</strong>. Sign in with the same name and password from any browser to get back to your boards.
        </p>
        <Link className="btn btn-primary" href="/">
          Back to boards
        </Link>
      </div>
    </main>
  );
}
