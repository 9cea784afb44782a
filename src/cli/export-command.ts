export async function run(): Promise<number> {
  console.error("bottega export: not available yet");
  return 1;
}
