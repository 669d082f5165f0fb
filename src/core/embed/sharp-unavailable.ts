/**
 * What the bundles load in place of `sharp` (esbuild.mjs aliases it here). transformers.js requires sharp when it
 * loads, for image models, and refuses to load without something there; Retrieval Lens runs text models only, so
 * the 7.7 MB of sharp and libvips stay out of the bundles and the .vsix, and an image call fails with this reason.
 */
function sharpUnavailable(): never {
  throw new Error('image processing is not part of Retrieval Lens (sharp is not included): only text models are supported');
}

export = sharpUnavailable;
