export { globToRegExp, matchesGlob } from '../sdk/glob.js';
