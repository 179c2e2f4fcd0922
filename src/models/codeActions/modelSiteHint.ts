// The activation layer's question before it loads the models feature for a code action: could
// this Python document hold a model site at all? Each site findModelSite (modelSites.ts) finds
// needs one of these words somewhere in the document: `torch` for saves, `Module` for module
// classes, `from_pretrained` for transformers, an import of lightning / keras / tensorflow /
// sklearn / xgboost / lightgbm for fits, checkpoints, dumps and Keras saves. A script or notebook
// cell without any of them gets no action, so VS Code's request on each cursor move in it need
// not load ~220 ms of feature code (test/unit/modelSiteHint.test.ts holds the two in step).

export const MODEL_SITE_WORDS = /torch|lightning|Module|from_pretrained|keras|tensorflow|sklearn|xgboost|lightgbm/;

export function mayHoldModelSite(text: string): boolean {
  return MODEL_SITE_WORDS.test(text);
}
