// Cross-checks the gateway's LZ4 frame codec against lz4-napi, the decoder @databricks/sql uses for
// lz4Compressed Arrow batches. Usage: node lz4-check.js <dir>
//   For every <name>.bin in <dir>:
//   - decodes <name>.lz4 (written by the gateway) with decompressFrameSync and compares it to <name>.bin;
//   - decodes <name>.corrupt.lz4, if present, expecting lz4-napi to reject it;
//   - writes <name>.napi.lz4 and <name>.napi-checksums.lz4 with compressFrameSync for the gateway's
//     decoder to read back.
// Prints one JSON object; exits non-zero only if the package cannot be loaded.
const fs = require('fs');
const path = require('path');
const { compressFrameSync, decompressFrameSync } = require('lz4-napi');

const dir = process.argv[2];
const results = [];
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort()) {
  const name = file.slice(0, -'.bin'.length);
  const original = fs.readFileSync(path.join(dir, file));
  const result = { name, length: original.length };

  try {
    const decoded = decompressFrameSync(fs.readFileSync(path.join(dir, `${name}.lz4`)));
    result.decodedLength = decoded.length;
    result.equal = Buffer.compare(decoded, original) === 0;
  } catch (e) {
    result.error = String(e && e.message ? e.message : e);
  }

  const corrupt = path.join(dir, `${name}.corrupt.lz4`);
  if (fs.existsSync(corrupt)) {
    try {
      decompressFrameSync(fs.readFileSync(corrupt));
      result.corruptRejected = false;
    } catch (e) {
      result.corruptRejected = true;
      result.corruptError = String(e && e.message ? e.message : e);
    }
  }

  fs.writeFileSync(path.join(dir, `${name}.napi.lz4`), compressFrameSync(original));
  fs.writeFileSync(
    path.join(dir, `${name}.napi-checksums.lz4`),
    compressFrameSync(original, { contentChecksum: true, blockChecksums: true }),
  );
  results.push(result);
}

// The package does not export its package.json; read it next to the resolved entry point.
const packageJson = path.join(path.dirname(require.resolve('lz4-napi')), 'package.json');
const version = JSON.parse(fs.readFileSync(packageJson, 'utf8')).version;
console.log(JSON.stringify({ lz4Napi: version, results }));
