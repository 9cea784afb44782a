export async function run(): Promise<number> {
  console.error("bottega status: not available yet");
  return 1;
}
