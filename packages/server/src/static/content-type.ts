import mime from 'mime/lite';

/** Types that are text whatever their top-level type says, so they carry a charset too. */
const TEXT_TYPES = new Set([
  'application/javascript',
  'application/json',
  'application/ld+json',
  'application/manifest+json',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/x-javascript',
  'application/ecmascript',
  'application/wasm-text',
  'image/svg+xml',
]);

/**
 * Content-Type values by file extension: the user's map first, then mime's lite table, then the
 * default. Text types get `; charset=utf-8` (RFC 9110 8.3.1) unless the type already has parameters.
 * Values are computed once per extension and kept, so serving a file builds no string.
 */
export class ContentTypes {
  private readonly byExtension = new Map<string, string>();

  constructor(
    private readonly overrides: Readonly<Record<string, string>>,
    private readonly defaultType: string,
  ) {}

  /** The Content-Type for a file name ('app.js' gives 'text/javascript; charset=utf-8'). */
  forFile(name: string): string {
    const dot = name.lastIndexOf('.');
    const extension = dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
    let value = this.byExtension.get(extension);
    if (value === undefined) {
      const type = Object.hasOwn(this.overrides, extension) ? this.overrides[extension]! : extension === '' ? null : mime.getType(extension);
      value = withCharset(type ?? this.defaultType);
      if (this.byExtension.size < 1024) this.byExtension.set(extension, value);
    }
    return value;
  }
}

/** Adds `; charset=utf-8` to text types that have no parameters. */
export function withCharset(type: string): string {
  if (type.includes(';')) return type;
  const lower = type.toLowerCase();
  return lower.startsWith('text/') || TEXT_TYPES.has(lower) ? `${type}; charset=utf-8` : type;
}
