import type { Session } from './session.ts';
import { DataFrame } from './dataframe.ts';
import { OptionError } from '../errors.ts';
import { sources } from '../sources/registry.ts';
import type { Struct } from '../data/types.ts';
import { CaseInsensitiveMap } from '../util/case-insensitive-map.ts';
import { parseDdlSchema } from '../data/ddl.ts';

/** session.readStream: Spark's DataStreamReader. */
export class DataStreamReader {
  private fmt: string | null = null;
  private readonly opts = new CaseInsensitiveMap();
  private userSchema: Struct | null = null;
  constructor(private readonly session: Session) {}

  format(name: string): this { this.fmt = name; return this; }
  option(key: string, value: string | number | boolean): this { this.opts.set(key, String(value)); return this; }
  options(o: Record<string, string | number | boolean>): this { for (const [k, v] of Object.entries(o)) this.option(k, v); return this; }
  /** A StructType, or a DDL string as in PySpark: schema('id BIGINT, name STRING'). */
  schema(s: Struct | string): this { this.userSchema = typeof s === 'string' ? parseDdlSchema(s) : s; return this; }

  load(): DataFrame {
    if (!this.fmt) throw new OptionError(`readStream needs a format: .format('kafka') (known: ${[...sources.keys()].join(', ')}).`);
    const provider = sources.get(this.fmt);
    if (!provider) throw new OptionError(`Unknown source format '${this.fmt}'. Known formats: ${[...sources.keys()].join(', ')}.`);
    const unknown = this.opts.unknown(provider.options);
    if (unknown.length) {
      throw new OptionError(`Unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for the ${this.fmt} source. `
        + `Its options are: ${provider.options.join(', ')}.`);
    }
    if (this.userSchema) {
      throw new OptionError(`The ${this.fmt} source has a fixed schema and does not take one from schema(); remove the schema() call. `
        + `To parse the values, use from_json(col('value').cast('string'), schema).`);
    }
    const options = this.opts.copy();
    // schema() also checks the option values, so a bad value fails here, without connecting.
    return new DataFrame(this.session, { kind: 'source', provider, options, schema: provider.schema({ options }) });
  }
}
