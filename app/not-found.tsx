import Link from "next/link";
import { BrandMark } from "./_components/brand-mark";

/** Any URL the app does not know: a styled page with the way back, not Next.js's bare 404. */
export default function NotFound() {
  return (
    <main className="signin-wrap">
      <div className="panel signin-card" data-testid="not-found">
        <BrandMark />
        <p className="notfound-code" aria-hidden="true">
          404
        </p>
        <h1>There is no page here</h1>
        <p className="lede">
          The address may be mistyped, or the page moved. Boards live at <code>/b/…</code>, cards at <code>/b/…/c/…</code>, and invite links at{" "}
          <code>/join/…</code>.
        </p>
        <div className="unavailable-actions">
          <Link className="btn btn-primary" href="/">
            Go to your boards
          </Link>
          <Link className="btn" href="/about">
            What is Concord?
          </Link>
        </div>
      </div>
    </main>
  );
}
