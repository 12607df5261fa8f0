document.addEventListener('DOMContentLoaded', function () {
    console.log('Invoicly 2.4.0 ready');
});
