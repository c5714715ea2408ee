import { SluiceError } from '../errors.ts';

/** A command-line mistake or a state of the output the command cannot work with; printed without a stack. */
export class CliError extends SluiceError {}
