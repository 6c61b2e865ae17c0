/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // The custom server (server/main.ts) owns the HTTP server; Next only renders the UI.
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
