// Polyfills for browsers without fetch(); removed in 2.5.0.
window.fetch = window.fetch || function () { throw new Error('fetch unsupported'); };
