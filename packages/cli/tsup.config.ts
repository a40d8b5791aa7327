import { packageConfig } from '../../tsup.base.js';

export default packageConfig(['src/index.ts', 'src/bin.ts'], { dts: { entry: ['src/index.ts'] } });
