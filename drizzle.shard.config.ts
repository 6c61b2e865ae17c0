import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/shard-schema.ts",
  out: "./drizzle/shard",
});
