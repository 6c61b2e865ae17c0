import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { SyncProvider } from "./sync-provider";

export const metadata: Metadata = {
  title: "Concord",
  description: "Collaborative cards that show, for real, how a distributed web app keeps shared data consistent.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SyncProvider>{children}</SyncProvider>
      </body>
    </html>
  );
}
