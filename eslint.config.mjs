import tseslint from "typescript-eslint";
import nextPlugin from "@next/eslint-plugin-next";

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", ".concord/**", "drizzle/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  ...tseslint.configs.recommended,
  {
    plugins: { "@next/next": nextPlugin },
    rules: {
      ...nextPlugin.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // lib/ is pure and isomorphic (lib/README.md): no database drivers, no server Socket.IO, no Next, no React.
    files: ["lib/**/*.ts"],
    ignores: ["lib/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["postgres", "pg", "drizzle-orm", "drizzle-orm/*", "ioredis", "redis", "socket.io", "next", "next/*", "react", "react-dom", "node:*"], message: "lib/ holds pure logic: I/O belongs in server/, UI in app/." },
            { group: ["**/server/**", "**/app/**"], message: "lib/ may not import server/ or app/." },
          ],
        },
      ],
    },
  },
  {
    // The UI talks to the server only through lib/client (server/README.md, lib/README.md): server code is never bundled.
    files: ["app/**/*.ts", "app/**/*.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/server/**", "postgres", "pg", "drizzle-orm", "drizzle-orm/*", "ioredis", "socket.io", "node:*"], message: "app/ reaches the server only through lib/client." },
          ],
        },
      ],
    },
  },
);
