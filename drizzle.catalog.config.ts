import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./server/db/catalog-schema.ts",
  out: "./drizzle/catalog",
});
