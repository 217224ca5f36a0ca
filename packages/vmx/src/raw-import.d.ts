// Vite/vitest `?raw` imports: tests read text files (the README, data and generated files)
// without Node APIs.
declare module '*.md?raw' {
  const text: string;
  export default text;
}
declare module '*.txt?raw' {
  const text: string;
  export default text;
}
declare module '*.ts?raw' {
  const text: string;
  export default text;
}
