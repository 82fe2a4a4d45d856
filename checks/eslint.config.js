export { default } from "@conduit/tooling/eslint";
