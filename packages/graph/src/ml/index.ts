/** The ML API (scikit-learn / dask-ml-like builders). */
export { makeClassification, type MakeClassificationOptions, type Classification } from './classification.js';
export { svcFit, svcPredict, accuracy, type SvcOptions } from './svc.js';
