"""The router (issue 15 item 2): a category and a lead unit suggested from a resident's words.

- tokens: jieba words and character bigrams (the features);
- keywords: a keyword list per default category, the answer before there is a model;
- model: training (TF-IDF + logistic regression, held-out top-1 / top-3), scikit-learn imported only here;
- store: training on the dispatched tickets, stored versioned (issues.models.RouterModel);
- loading: the active models, once per process, reloaded when a newer version is active;
- suggest: `suggest(text, k)` and `suggest_units(text, k)`, what the intake calls.
"""
