/**
 * The official parser raised on this log. In v4.1.0 the exception escaped `get_logs_eval`, so the
 * instance got no report.json and the run report counted it as an error; callers should do the
 * same (write no report, count an error) rather than grade it.
 */
export class LogParserCrash extends Error {
  constructor(
    readonly parser: string,
    /** The Python exception the official code raises here. */
    readonly pythonException: "IndexError",
    /** 1-based line number within the text the parser was given. */
    readonly lineNumber: number,
    readonly line: string,
  ) {
    super(
      `${parser} raises ${pythonException} on line ${lineNumber} of the test output ` +
        `(${JSON.stringify(line.length > 200 ? line.slice(0, 200) + "…" : line)}); ` +
        `the official harness writes no report for this instance`,
    );
    this.name = "LogParserCrash";
  }
}
