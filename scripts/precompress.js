// Writes FILE.br (brotli, quality 11) and FILE.gz (gzip -9) beside each FILE given, so the server
// sends the bundle at maximum compression without compressing it on every request.
// Uses only Node's zlib: nothing to install.
const fs = require("fs");
const zlib = require("zlib");

for (const file of process.argv.slice(2)) {
  const data = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  fs.writeFileSync(`${file}.br`, br);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(data, { level: 9 }));
  console.log(`${file}: ${data.length} bytes, ${br.length} brotli, ${fs.statSync(`${file}.gz`).size} gzip`);
}
