document.addEventListener('DOMContentLoaded', function () {
    console.log('Invoicly 2.5.0 ready');
});
