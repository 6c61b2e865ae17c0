import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";
import "./accounts.css";
import { SyncProvider } from "./sync-provider";

export const metadata: Metadata = {
  title: "Concord",
  description: "Collaborative cards that show, for real, how a distributed web app keeps shared data consistent.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

/**
 * Rendered per request: the server's Content-Security-Policy carries a fresh script nonce on
 * every response, and Next.js puts it on its scripts only when it renders the page then (a page
 * prerendered at build time would carry no nonce and its scripts would be blocked).
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>
        <SyncProvider>{children}</SyncProvider>
      </body>
    </html>
  );
}
