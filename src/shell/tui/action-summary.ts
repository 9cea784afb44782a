/** One line that says what an action does, for step lines and the TUI's action headers. */
export function actionSummary(tool: string, args: Record<string, unknown>): string {
  const str = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : "");
  switch (tool) {
    case "bash":
      return `$ ${firstLine(str("command"))}`;
    case "str_replace_editor":
      return `${str("command")} ${str("path")}`.trim();
    case "submit":
      return "submit";
    default:
      return `${tool} ${firstLine(JSON.stringify(args))}`;
  }
}

function firstLine(text: string): string {
  const lines = text.split("\n");
  return lines.length > 1 ? `${lines[0]} …(+${lines.length - 1} lines)` : text;
}

/** Editor commands that change a file. */
export function isEdit(tool: string, args: Record<string, unknown>): boolean {
  return tool === "str_replace_editor" && ["create", "str_replace", "insert", "undo_edit"].includes(String(args.command));
}
