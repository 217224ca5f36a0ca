// Vite/vitest `?raw` imports: tests read text files (the README) without Node APIs.
declare module '*.md?raw' {
  const text: string;
  export default text;
}
