/**
 * Kept for the modules that imported the registry from here before each chunker got its own file
 * (<kind>-chunker.ts); new code imports chunker-registry.
 */
export { CHUNKER_DEFAULTS, createChunker, validateChunkerConfig } from './chunker-registry';
