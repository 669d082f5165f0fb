import type { CommandFactory } from './registry';

/** "Toggle Annotations": chunk boundaries, labels and failure categories in the editor, on or off. */
export const toggleAnnotations: CommandFactory = (s) => () => s.annotations.toggle();
